"""cbs-leverancier: the gemeente's quarterly Statistiek Wet Inburgering (SWI) delivery to CBS."""
