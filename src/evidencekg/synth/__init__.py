"""Synthetic datasets whose disagreements are known by construction, for tests and benchmarks."""

from __future__ import annotations

from .generator import BASE_IRI, PLANTED_FILE, HotPlanted, SynthManifest, generate, planted_pairs

__all__ = ["BASE_IRI", "PLANTED_FILE", "HotPlanted", "SynthManifest", "generate", "planted_pairs"]
