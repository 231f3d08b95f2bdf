"""The event-sourced applications that own their commands (the eventsourcing library's
examples' shape): collaborators are keyword arguments after `env`, reads are injected
callables, so each runs on the library's in-memory persistence in tests."""
