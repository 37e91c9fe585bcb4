"""The emulated netgraph kernel: a userspace netgraph for hosts without one.

:mod:`.kernel` owns nodes, IDs, names, hooks and the one kernel thread;
:mod:`.node` is the base every node type (``nodes/<type>.py``) builds on;
:mod:`.path` and :mod:`.generic` are netgraph's addressing and generic
messages; :mod:`.transport` is the AF_UNIX framing between user sockets and
the kernel; :mod:`.daemon` is ``pyngraph-emud``.
"""
