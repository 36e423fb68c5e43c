"""Circuits built from the engine: reusable pieces of brain that experiments put together."""

from .prediction_error import PredictionCircuit as PredictionCircuit
from .prediction_error import PredictionCircuitConfig as PredictionCircuitConfig
from .prediction_error import add_prediction_circuit as add_prediction_circuit
