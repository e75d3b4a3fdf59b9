"""A local HTTP server for feed benchmarks and tests: ``Server().routes[path] = route``,
where a route is a function of the request handler returning ``(status, headers, body)``
(a body given as a list of chunks is streamed without a Content-Length); ``hits`` lists
the paths asked for. Binds 127.0.0.1 on a free port; serves from daemon threads."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else headers and body wait on the client's delayed ACK (40 ms)

    def do_GET(self):
        server = self.server
        path = self.path
        server.hits.append(path)
        route = server.routes.get(path.split("?", 1)[0])
        if route is None:
            status, headers, body = 404, {"Content-Type": "text/plain"}, b"not here"
        else:
            status, headers, body = route(self)
        self.send_response(status)
        chunks = body if isinstance(body, list) else [body]
        if not isinstance(body, list) and "Content-Length" not in headers:
            headers = {**headers, "Content-Length": str(len(body))}
        if isinstance(body, list):
            headers = {**headers, "Connection": "close"}
            self.close_connection = True
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        try:
            for chunk in chunks:
                self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def log_message(self, *args):
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.routes, self.hits = {}, []
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def handle_error(self, request, client_address):
        pass  # a client that hung up (timeout or size cap tests) is expected

    def stop(self):
        self.shutdown()
        self.server_close()
