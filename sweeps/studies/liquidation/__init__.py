"""The multi-bank liquidation game (notes 000): the `theory liquidation` command.
The learners' reproduction and the benchmark are later steps of issue 11."""
