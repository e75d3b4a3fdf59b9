/* NewsBase search filters: on phones the Filters panel (server-rendered open, so that it
 * works without JavaScript) starts closed above the results unless a filter is on; on
 * wider screens it is always open beside them. */
(function () {
  "use strict";

  var narrow = window.matchMedia("(max-width: 720px)");

  function place(panel, first) {
    if (!narrow.matches) {
      panel.open = true;
    } else if (first && !panel.querySelector("a.selected")) {
      panel.open = false;
    }
  }

  function init() {
    var panels = document.querySelectorAll("details[data-closed-on-phones]");
    Array.prototype.forEach.call(panels, function (panel) {
      place(panel, true);
      narrow.addEventListener("change", function () {
        place(panel, false);
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
