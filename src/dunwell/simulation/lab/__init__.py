"""The strategy lab: simulated borrowers who react, run through the real day loop so
collection strategies can be compared on the same people (``dunwell simulate``)."""
