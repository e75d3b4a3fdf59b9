/* NewsBase search suggestions: progressive enhancement of <input data-autocomplete>.
 *
 * Without JavaScript the input is a plain search box. With it, the input becomes an
 * ARIA 1.2 combobox with a listbox of entities from /api/autocomplete/: arrow keys move
 * through the options, Enter searches the highlighted name, Escape closes the list.
 * Suggestions are written with textContent only (never as HTML).
 */
(function () {
  "use strict";

  var MIN_CHARS = 2;
  var DELAY_MS = 120;
  var KIND_LABELS = { drug: "Drug", condition: "Condition", institution: "Institution" };

  function enhance(input) {
    var url = input.getAttribute("data-autocomplete");
    if (!url || !window.fetch || !input.form) {
      return;
    }
    var listId = input.id + "-listbox";
    var list = document.createElement("ul");
    list.id = listId;
    list.className = "autocomplete-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Suggestions");
    list.hidden = true;
    var status = document.createElement("div");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    input.parentNode.appendChild(list);
    input.parentNode.appendChild(status);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);

    var items = [];
    var active = -1;
    var timer = null;
    var controller = null;
    var lastQuery = "";

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function open() {
      if (items.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      }
    }

    function setActive(index) {
      var options = list.children;
      if (active >= 0 && options[active]) {
        options[active].setAttribute("aria-selected", "false");
      }
      active = index;
      if (active >= 0 && options[active]) {
        options[active].setAttribute("aria-selected", "true");
        input.setAttribute("aria-activedescendant", options[active].id);
        options[active].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(index) {
      var item = items[index];
      if (!item) {
        return;
      }
      input.value = item.search;
      close();
      input.form.submit();
    }

    function render(results) {
      items = results;
      list.textContent = "";
      active = -1;
      results.forEach(function (item, index) {
        var option = document.createElement("li");
        option.id = listId + "-" + index;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        var label = document.createElement("span");
        label.className = "label";
        label.textContent = item.label;
        var detail = document.createElement("span");
        detail.className = "detail";
        var count = item.article_count ? " · " + item.article_count + (item.article_count_capped ? "+" : "") + (item.article_count === 1 && !item.article_count_capped ? " article" : " articles") : "";
        detail.textContent = (KIND_LABELS[item.type] || item.type) + count;
        option.appendChild(label);
        option.appendChild(detail);
        option.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep focus in the input
          choose(index);
        });
        list.appendChild(option);
      });
      status.textContent = results.length
        ? results.length + " suggestion" + (results.length === 1 ? "" : "s") + ", use the arrow keys to choose"
        : "";
      if (results.length) {
        open();
      } else {
        close();
      }
    }

    function fetchSuggestions() {
      var query = input.value.trim();
      if (query.length < MIN_CHARS) {
        render([]);
        return;
      }
      if (query === lastQuery && items.length) {
        open();
        return;
      }
      lastQuery = query;
      if (controller) {
        controller.abort();
      }
      controller = window.AbortController ? new AbortController() : null;
      fetch(url + "?q=" + encodeURIComponent(query), {
        headers: { Accept: "application/json" },
        signal: controller ? controller.signal : undefined,
      })
        .then(function (response) {
          return response.ok ? response.json() : { results: [] };
        })
        .then(function (data) {
          if (input.value.trim() === query) {
            render(data.results || []);
          }
        })
        .catch(function () {
          /* aborted or offline: the plain search box still works */
        });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(fetchSuggestions, DELAY_MS);
    });

    input.addEventListener("keydown", function (event) {
      var expanded = !list.hidden;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!expanded) {
          open();
        }
        if (items.length) {
          setActive((active + 1) % items.length);
        }
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (items.length) {
          setActive(active <= 0 ? items.length - 1 : active - 1);
        }
      } else if (event.key === "Enter") {
        if (expanded && active >= 0) {
          event.preventDefault();
          choose(active);
        }
      } else if (event.key === "Escape") {
        if (expanded) {
          event.preventDefault();
          close();
        }
      } else if (event.key === "Tab") {
        close();
      }
    });

    input.addEventListener("blur", function () {
      window.setTimeout(close, 100);
    });
  }

  function init() {
    var inputs = document.querySelectorAll("input[data-autocomplete]");
    for (var i = 0; i < inputs.length; i++) {
      enhance(inputs[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
