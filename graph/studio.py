"""The graph `langgraph dev` serves: compiled WITHOUT a checkpointer (the server brings its own).

Loading it marks this process as Studio's: a run started there registers the server process
for `ryx stop all`, like a run from the terminal, and keeps its database, research folder and
skills snapshots under RYX_HOME, outside the tree `langgraph dev` watches for changes."""

import os

from graph.builder import build_graph
from ryx import control

os.environ.setdefault("RYX_HOME", str(control.ryx_home()))
control.mark_served()
graph = build_graph().compile()
