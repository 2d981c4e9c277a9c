"""Adapters behind the domain's ports: SMS and e-mail HTTP APIs, local outbox
providers, template rendering (Jinja2 + Babel), PDF rendering (ReportLab with
embedded CJK glyphs) and the vehicle-routing solver (OR-Tools). Wired only in
``dunwell.app``."""
