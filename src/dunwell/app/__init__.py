"""The imperative shell's core: wiring (``bootstrap``), the unit of work, command
handlers that cross domains (booking loans, payments), and the COB runner."""
