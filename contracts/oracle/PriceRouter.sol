// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";
import {IPriceRouter} from "../interfaces/IPriceRouter.sol";
import {ErrorsLib} from "../libraries/ErrorsLib.sol";
import {EventsLib} from "../libraries/EventsLib.sol";

/// @title PriceRouter
/// @notice One Chainlink-style USD feed per asset; answers <= 0 are rejected (twin: protocol_model/oracle.py).
contract PriceRouter is IPriceRouter, AccessControl {
    struct Feed {
        AggregatorV3Interface aggregator;
        uint8 decimals;
    }

    mapping(address asset => Feed) public feeds;

    constructor(address admin) {
        if (admin == address(0)) revert ErrorsLib.ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @notice Sets the feed of `asset`; its decimals are read once and must be <= 18.
    function setFeed(address asset, AggregatorV3Interface aggregator) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (asset == address(0) || address(aggregator) == address(0)) revert ErrorsLib.ZeroAddress();
        uint8 dec = aggregator.decimals();
        if (dec > 18) revert ErrorsLib.InvalidDecimals(dec);
        feeds[asset] = Feed(aggregator, dec);
        emit EventsLib.FeedSet(asset, address(aggregator), dec);
    }

    /// @inheritdoc IPriceRouter
    function priceWad(address asset) external view returns (uint256) {
        Feed memory feed = feeds[asset];
        if (address(feed.aggregator) == address(0)) revert ErrorsLib.FeedNotSet(asset);
        (, int256 answer,,,) = feed.aggregator.latestRoundData();
        if (answer <= 0) revert ErrorsLib.InvalidPrice(asset, answer);
        return uint256(answer) * 10 ** (18 - feed.decimals);
    }
}
