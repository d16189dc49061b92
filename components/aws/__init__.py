"""AWS backends of the neutral components. Imported only when the stack selects AWS."""
