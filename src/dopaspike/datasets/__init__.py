"""Published behavioural data sets, read into trial tables for comparison with simulated cohorts.

The data themselves are not part of the package: each reader takes the folder they were put in.

* :mod:`.liebana2025`: mice learning a 2-alternative visual decision task (Liebana et al. 2025,
  Cell 188:3789).
"""
