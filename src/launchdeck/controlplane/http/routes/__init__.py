"""One router per resource: each route names the permission it needs and the shape it answers."""
