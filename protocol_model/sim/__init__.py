"""The risk lab: vectorized Monte Carlo of liquidation cascades, parameter sweeps and reports.

Notebook use::

    from protocol_model.sim import load_simulation, simulate
    result = simulate(load_simulation("scenarios/lab/eth_crash.yaml"))
    result.summary()                      # VaR / CVaR of bad debt, liquidations-at-risk, ...

``cascade`` is the vectorized engine, ``reference`` its scalar pure-Python twin (correctness only),
``exact`` drives the exact integer engine (``protocol_model.exact.lending.lending_pool``) with the lab's prices.
"""

from protocol_model.sim.config import AssetRisk, CascadeParams, OracleLag
from protocol_model.sim.run import SimulationResult, simulate
from protocol_model.sim.spec import LabSpecError, load_simulation, load_sweep

__all__ = ["AssetRisk", "CascadeParams", "OracleLag", "SimulationResult", "simulate", "LabSpecError",
           "load_simulation", "load_sweep"]
