"""Signals capital sends for the apps above it, which it never names.

`demo_loaded`: sent by `manage.py load_demo` (in `cms`) once the demo society and its pages are
loaded, inside the loading transaction, every time the command runs. Receivers add their own
part of the demo (governance: a past general meeting and an open ballot) only if it is missing,
and return how many things they added, so that running the demo again changes nothing.
Receivers get `society`, the demo society.
"""

import django.dispatch

demo_loaded = django.dispatch.Signal()
