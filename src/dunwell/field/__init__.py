"""Field operation: agents, their territories, shifts and training certificates;
which visits may be assigned to whom; visit outcomes and costs; the routing port
and a nearest-neighbour baseline router. Pure.

- ``model``: agents, territories (a centre and a radius), shifts, certificates,
  visit outcomes, the routing problem and its result.
- ``rules``: certificate validity, distances, travel times, costs, where an outcome
  was recorded, what an outcome feeds, the visit protocol text.
- ``assignment``: which certified agents may take a visit, and a territory and
  workload assignment.
- ``routing``: the :class:`~dunwell.field.routing.Router` port, the greedy
  nearest-neighbour baseline, and a checker of routes against windows, shifts and
  capacity.
- ``errors``: typed rejections with stable codes.
"""
