"""Paths, AMM, metrics and definition files: each checked against a hand derivation or a named error."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from protocol_model.scenario.protocol import load_protocol
from protocol_model.sim import amm
from protocol_model.sim.history import relative_path
from protocol_model.sim.metrics import var_cvar
from protocol_model.sim.paths import Bridge, Gbm, Historical, MarketModel
from protocol_model.sim.spec import LabSpecError, load_simulation, load_sweep

LAB = Path(__file__).resolve().parents[2] / "scenarios" / "lab"


def test_var_cvar_by_hand():
    losses = list(range(1, 101))  # 1..100
    # 95%: the worst ceil(0.05 * 100) = 5 paths are 96..100 -> VaR 96, CVaR 98
    assert var_cvar(losses, 0.95) == (96.0, 98.0)
    # 99%: the single worst path
    assert var_cvar(losses, 0.99) == (100.0, 100.0)
    with pytest.raises(ValueError, match="level"):
        var_cvar(losses, 1.0)


def test_gbm_moments_and_correlation():
    sigma, dt = 0.8, 1 / 365
    m = MarketModel((Gbm(sigma), Gbm(sigma)), ((1, 0.6), (0.6, 1)))
    s = m.stream(np.random.default_rng(0), 20_000, [100.0, 100.0], 10)
    prev = np.full((20_000, 2), 100.0)
    rets = []
    for _ in range(10):
        p = s.next()
        rets.append(np.log(p / prev))
        prev = p
    r = np.concatenate(rets)
    n = r.shape[0]
    # mean log return -σ²dt/2, sd σ√dt; 5 standard errors of slack
    assert abs(r[:, 0].mean() + 0.5 * sigma**2 * dt) < 5 * sigma * math.sqrt(dt / n)
    assert abs(r[:, 0].std() / (sigma * math.sqrt(dt)) - 1) < 5 / math.sqrt(2 * n)
    assert abs(np.corrcoef(r.T)[0, 1] - 0.6) < 0.02


def test_bridge_hits_its_pins_and_history_reproduces_black_thursday():
    m = MarketModel((Bridge(0.5, ((3, 0.87), (8, 1.0))),), step_seconds=3600)
    s = m.stream(np.random.default_rng(1), 50, [1.0], 8)
    prices = [s.next()[:, 0] for _ in range(8)]
    np.testing.assert_allclose(prices[2], 0.87, rtol=1e-12)
    np.testing.assert_allclose(prices[7], 1.0, rtol=1e-12)
    assert prices[4].std() > 0  # random between pins
    eth = relative_path("black_thursday_2020", "ETH", 48, 3600)
    assert eth[24] == pytest.approx(0.57)  # −43% within the day
    h = MarketModel((Historical("black_thursday_2020", "ETH"),), step_seconds=3600).stream(
        np.random.default_rng(0), 2, [194.0], 48)
    assert [h.next()[0, 0] for _ in range(24)][-1] == pytest.approx(194 * 0.57)


def test_amm_keeps_the_product():
    liq = amm.liquidity(1e6, 2000.0)  # 500 tokens and $1M
    price, paid = amm.sell(2000.0, liq, 100.0)
    x, y = 600.0, 1e6 * 500 / 600
    assert price == pytest.approx(y / x, rel=1e-12)
    assert paid == pytest.approx(1e6 - y, rel=1e-12)


def _write(tmp_path, data, name="sim.yaml"):
    p = tmp_path / name
    p.write_text(yaml.safe_dump(data))
    return p


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d.update(overrides={"assets.WETH.ltv": "90%"}),
     "overrides.assets.WETH.ltv: assets.WETH: ltv (90%) is above liquidation_threshold (82.5%)"),
    (lambda d: d.update(overrides={"assets.WBTC.price_usd": -5}), "assets.WBTC.price_usd"),
    (lambda d: d.update(overrides={"assets.WETH.ltv_bps": 9000}), "overrides.assets.WETH.ltv_bps: no field 'ltv_bps'"),
    (lambda d: d["assets"]["WETH"].update(ltv="80%"), "assets.WETH.ltv: Extra inputs are not permitted"),
    (lambda d: d["assets"].update(DOGE={}), "assets: 'DOGE' is not an asset of protocol generic"),
    (lambda d: d.pop("protocol"), "protocol: Field required"),
    (lambda d: d.update(kind="story"), "kind: this is a story file, not a simulation file; use `protocol-model story`"),
    (lambda d: d["book"]["synthetic"].update(debt_asset="DAI"), "book.synthetic.debt_asset: unknown asset 'DAI'"),
    (lambda d: d["assets"]["WETH"]["driver"].update(kind="levy"), "assets.WETH.driver"),
    (lambda d: d.update(pathz=5), "pathz"),
    (lambda d: d.update(correlation=[[1, 2], [2, 1]]), "correlation"),
    (lambda d: d["oracle"].update(heartbeat_steps=0), "oracle: heartbeat_steps"),
    (lambda d: d["book"]["synthetic"]["collateral_weights"].update(WETHH=1), "collateral_weights: unknown asset"),
])
def test_bad_simulation_file_names_the_field(tmp_path, mutate, message):
    data = yaml.safe_load((LAB / "eth_crash.yaml").read_text())
    mutate(data)
    with pytest.raises(LabSpecError) as err:
        load_simulation(_write(tmp_path, data))
    assert message in str(err.value)
    assert str(err.value).count("\n") == 0  # one clear line


def test_bad_sweep_file_names_the_field(tmp_path):
    sim = _write(tmp_path, yaml.safe_load((LAB / "eth_crash.yaml").read_text()), "base.yaml")
    bad = {"kind": "sweep", "name": "x", "simulation": sim.name, "axes": [{"parameter": "ltv", "values": [1]}]}
    with pytest.raises(LabSpecError, match=r"axes\.0\.parameter"):
        load_sweep(_write(tmp_path, bad, "sweep.yaml"))
    bad["axes"] = [{"parameter": "ltv_bps", "values": [7000], "assets": ["DOGE"]}]
    with pytest.raises(LabSpecError, match=r"axes\.0\.assets: unknown asset 'DOGE'"):
        load_sweep(_write(tmp_path, bad, "sweep.yaml"))
    with pytest.raises(LabSpecError, match="not valid YAML"):
        load_simulation(_write_text(tmp_path, "a: [1,"))


def _write_text(tmp_path, text):
    p = tmp_path / "broken.yaml"
    p.write_text(text)
    return p


def test_every_shipped_lab_file_loads():
    for path in LAB.glob("*.yaml"):
        kind = yaml.safe_load(path.read_text())["kind"]
        if kind == "sweep":
            load_sweep(path)
        elif kind == "protocol":  # a proposal for `protocol-model compare` (a variant of a protocol)
            load_protocol(path)
        elif kind == "optimisation":
            from protocol_model.sim.optimise import load_optimisation

            load_optimisation(path)
        else:
            load_simulation(path)
