// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice The few forge cheatcodes the invariant suites use (forge's cheatcode address, no forge-std).
interface Cheats {
    function warp(uint256 timestamp) external;
    function prank(address sender) external;
    function startPrank(address sender) external;
    function stopPrank() external;
    function label(address account, string calldata name) external;
    function readFile(string calldata path) external view returns (string memory);
    function parseJsonBytes(string calldata json, string calldata key) external pure returns (bytes memory);
    function recordLogs() external;
    function getRecordedLogs() external returns (Log[] memory);

    struct Log {
        bytes32[] topics;
        bytes data;
        address emitter;
    }
}

/// @notice Shared helpers: the cheatcode handle, bounded inputs, and the selector list forge targets.
abstract contract AuditBase {
    Cheats internal constant vm = Cheats(address(uint160(uint256(keccak256("hevm cheat code")))));

    /// @dev Deploys the `bytecode` of a JSON build artifact (Truffle/Waffle layout, as npm packages ship
    /// them) with `args` appended; reverts if the creation fails.
    function _deployArtifact(string memory path, bytes memory args) internal returns (address deployed) {
        bytes memory code = abi.encodePacked(vm.parseJsonBytes(vm.readFile(path), ".bytecode"), args);
        assembly ("memory-safe") {
            deployed := create(0, add(code, 32), mload(code))
        }
        require(deployed != address(0), "artifact deployment failed");
    }

    /// @dev `x` mapped into [lo, hi] (inclusive; a value already inside is kept); the handlers' only way
    /// to shape fuzzed inputs.
    function _bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        if (hi <= lo) return lo;
        if (x >= lo && x <= hi) return x;
        return lo + x % (hi - lo + 1);
    }
}

/// @notice What an invariant test contract exposes so forge calls only the handler (forge reads
/// `targetContracts()` by name; no forge-std needed). Forge fuzzes the handler's state-changing functions
/// (its actions) and never its view functions.
abstract contract InvariantBase is AuditBase {
    address[] internal _targets;

    function targetContracts() public view returns (address[] memory) {
        return _targets;
    }

    /// @dev Fuzz every action of `handler` (and nothing else: not the deployed contracts, not the tokens).
    function _target(address handler) internal {
        _targets.push(handler);
    }
}
