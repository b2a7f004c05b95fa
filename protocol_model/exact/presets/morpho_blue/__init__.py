"""Exact twin of Morpho Blue 1.0.0 (npm ``@morpho-org/morpho-blue``), module by module after its sources:
``morpho.py`` (Morpho.sol), ``math_lib.py`` (MathLib.sol), ``shares_math_lib.py`` (SharesMathLib.sol),
``utils_lib.py`` (UtilsLib.sol), ``constants_lib.py`` (ConstantsLib.sol), ``errors_lib.py`` (ErrorsLib.sol),
``market_params_lib.py`` (MarketParamsLib.sol and the IMorpho structs), ``irm_mock.py`` and ``oracle_mock.py``
(the package's mocks). docs/presets.md lists what is and is not modelled."""
