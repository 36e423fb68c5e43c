"""The engine: network description -> flat arrays -> one compiled time loop."""
