"""Field operation: agents, their territories, shifts and training certificates;
which visits may be assigned to whom; visit outcomes and costs; the routing port
and a nearest-neighbour baseline router. Pure."""
