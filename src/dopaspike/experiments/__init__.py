"""Published paradigms, one module each, registered by name (see :mod:`.base`)."""

from .base import Check as Check
from .base import Results as Results
from .base import all_experiments as all_experiments
from .base import get as get
