// boot: see dashboard/README
