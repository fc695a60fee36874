"""The graph `langgraph dev` serves: compiled WITHOUT a checkpointer (the server brings its own).

Loading it marks this process as Studio's: a run started there registers the server process
for `ryx stop all`, like a run from the terminal."""

from graph.builder import build_graph
from ryx import control

control.mark_served()
graph = build_graph().compile()
