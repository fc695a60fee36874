"""The graph `langgraph dev` serves: compiled WITHOUT a checkpointer (the server brings its own)."""

from graph.builder import build_graph

graph = build_graph().compile()
