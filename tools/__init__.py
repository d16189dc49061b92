"""Tools around the program: a recorder of what it registers, and the picture of each stack."""
