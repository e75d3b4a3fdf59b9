"""Security headers on every answer, and who the client is (for login throttling).

The Content-Security-Policy and Permissions-Policy come from settings
(CONTENT_SECURITY_POLICY, PERMISSIONS_POLICY); Django's SecurityMiddleware sends HSTS,
nosniff and Referrer-Policy, and XFrameOptionsMiddleware X-Frame-Options.
"""

from django.conf import settings


class SecurityHeadersMiddleware:
    """Adds Content-Security-Policy and Permissions-Policy unless the view set its own.

    With DEBUG on the policy is report-only: Django's debug pages are inline script and
    style, and the browser's console still lists what the policy would block.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        csp = "Content-Security-Policy-Report-Only" if settings.DEBUG else "Content-Security-Policy"
        self.headers = {csp: settings.CONTENT_SECURITY_POLICY, "Permissions-Policy": settings.PERMISSIONS_POLICY}

    def __call__(self, request):
        response = self.get_response(request)
        for name, value in self.headers.items():
            if value and name not in response:
                response[name] = value
        return response


def client_ip(request):
    """The client's address: REMOTE_ADDR, or behind the declared proxy (BEHIND_PROXY) the last
    X-Forwarded-For entry, the one our proxy appended. Entries left of it are whatever the
    client chose to send, so they are never believed."""
    if settings.BEHIND_PROXY:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if forwarded[-1]:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR")
