"""The studies under their names: adding one is a folder here plus one `Study` line.

A study brings a game (by its name in `jaxmarkets.GAMES`) to the command line:
its theory report, its paper reproduction (quick and full configs), its sweep
(static config, traced fields, `setup`) and its benchmarks, each a module of
its folder with a fixed interface:

  theory, reproduce, each bench   add_parser(subparsers, name) making a parser
                                  whose `func` is run(args) -> exit code
  sweep                           SweepConfig (frozen dataclass, validate()),
                                  PARAMS and HPARAMS (the traced dataclasses a
                                  grid may vary), CONFIG_EXCLUDE, and
                                  setup(grid, seeds, config) -> engine Setup
  commands                        (name, module) pairs: further commands in a
                                  top-level group named after the study
                                  (`jaxmarkets cat game ...`), each module with
                                  add_parser(subparsers, name)
"""

from __future__ import annotations

import dataclasses
import importlib


@dataclasses.dataclass(frozen=True)
class Study:
    name: str
    game: str
    paper: str
    summary: str
    theory: str | None = None
    reproduce: str | None = None
    sweep: str | None = None
    benches: tuple[tuple[str, str], ...] = ()
    commands: tuple[tuple[str, str], ...] = ()

    def module(self, which: str):
        return importlib.import_module(getattr(self, which))


STUDIES: dict[str, Study] = {
    s.name: s
    for s in (
        Study(
            "execution", "execution", "001",
            "Double-DQN traders in the Almgren-Chriss execution game (Lillo & Macri)",
            theory="sweeps.studies.execution.theory_command",
            reproduce="sweeps.studies.execution.reproduce_command",
            sweep="sweeps.studies.execution.sweep",
            benches=(("execution", "sweeps.studies.execution.bench_env"),
                     ("ddqn", "sweeps.studies.execution.bench_ddqn"),
                     ("pg", "sweeps.studies.execution.bench_pg")),
        ),
        Study(
            "firesale", "firesale", "003",
            "best-response dynamics of fire sales among leveraged banks",
            theory="sweeps.studies.firesale.theory_command",
            reproduce="sweeps.studies.firesale.reproduce_command",
            benches=(("firesale", "sweeps.studies.firesale.bench"),),
        ),
        Study(
            "liquidity", "liquidity", "002",
            "market makers' liquidity game: equilibria, the Bayesian game, learning in repeated play",
            theory="sweeps.studies.liquidity.theory_command",
            reproduce="sweeps.studies.liquidity.reproduce_command",
            benches=(("liquidity", "sweeps.studies.liquidity.bench"),),
        ),
        Study(
            "cat", "cat", "004",
            "CAT: specialists competing with double-auction rules and fees for ZI-C/ZIP/GD/Roth-Erev traders",
            reproduce="sweeps.studies.cat.reproduce_command",
            benches=(("cat", "sweeps.studies.cat.bench"),),
            commands=(("game", "sweeps.studies.cat.game_command"),),
        ),
        Study(
            "liquidation", "liquidation", "000",
            "banks liquidating assets of different liquidity: the 2x2 reduction, PPO and recurrent DQN banks",
            theory="sweeps.studies.liquidation.theory_command",
            reproduce="sweeps.studies.liquidation.reproduce_command",
            sweep="sweeps.studies.liquidation.sweep",
            benches=(("liquidation", "sweeps.studies.liquidation.bench"),),
        ),
    )
}
