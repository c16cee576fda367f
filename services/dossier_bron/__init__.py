"""dossier-bron: the gemeente's source registration of the inburgering dossier (issue 10)."""
