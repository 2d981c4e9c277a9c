"""The HTTP API (FastAPI): ``dunwell.api.app:create_app(settings)``. Routers call
``dunwell.app``; one handler maps rejections to 4xx with ``{"error", "message",
"field"}``. See docs/origination.md for the endpoints with examples."""
