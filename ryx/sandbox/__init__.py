"""Running code that Ryx does not trust: bubblewrap around a private copy of the tree.

Layers, bottom up: `interpreter` (what of the machine a Python needs), `tree` (the private
copy), `bwrap` (finding and driving bubblewrap), `process` (a contained run with a deadline
and a results channel), `jail` (one run's view of the machine). Stdlib and GitPython only;
nothing here knows about pytest or points.
"""

from ryx.sandbox.bwrap import INSTALL_HINT, SandboxUnavailable
from ryx.sandbox.interpreter import Interpreter, describe, module_names
from ryx.sandbox.jail import Placed, Sandbox, View, scrubbed_env
from ryx.sandbox.process import Channel, Finished, Launch, run
from ryx.sandbox.tree import copy_tree, remove_tree, tree_files

__all__ = [
    "INSTALL_HINT", "Channel", "Finished", "Interpreter", "Launch", "Placed", "Sandbox",
    "SandboxUnavailable", "View", "copy_tree", "describe", "module_names", "remove_tree", "run",
    "scrubbed_env", "tree_files",
]
