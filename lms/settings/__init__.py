"""Settings package: `base` holds everything, read from the environment."""

from .base import *  # noqa: F403
