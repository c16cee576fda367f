"""The reference journeys as ``keten demo`` runs them against the real dossier-bron."""
