"""The socket edge: HTTP/1.1 over TCP for the fake's WSGI app (see ``mockfiles.server``).

- ``listener``: the accept loop, one thread per connection, stopped at once by a wake-up;
- ``wire``: the socket with idle timeouts, and the request body the app reads;
- ``http11``: one connection's requests, framed by h11 (RFC 9112), and their answers;
- ``breaks``: the transport faults (``reset``, ``disconnect``, ``truncate``, ``delay``,
  ``slow_body``, ``timeout``).
"""
