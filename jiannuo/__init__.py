"""Jiannuo (践诺): village cadres' office pledges and accountability."""

__version__ = "0.1.0"
