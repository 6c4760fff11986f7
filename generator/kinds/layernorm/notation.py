"""The notation of the labels (answer keys, feedback): the same symbols the pages print."""

from ...labels import from_notation
from .views import View

label = from_notation(View.NOTATION)
