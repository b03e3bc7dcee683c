"""Studies (paper reproductions, sweeps) and the command line."""
