"""Complaints: the register's vocabulary (channel received, category, status), the
status table, the deadlines and escalation routes of each jurisdiction with their
sources, and which open disputes pause collection. Pure: time comes in on the data."""
