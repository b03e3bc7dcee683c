"""Paper 004 (CAT, competing double-auction exchanges): the `cat game` command,
the reproduction and the benchmark."""
