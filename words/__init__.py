"""The engine's words, below the domain: `words.messages` (Message, labels; imports nothing)
and `words.catalogue` (the engine gettext catalogue and the locale formatters, on Babel).
Neither imports anything of the engine (import contract `words-below-domain`)."""
