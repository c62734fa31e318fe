# R's polynomial contrasts, by which R and brms code an ordered factor: contr.poly(n) for
# n = 2 to 12 levels, one row per entry, written to contr_poly.csv beside this script.
# usage: Rscript contr_poly.R
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grepl("^--file=", args)])))
records <- do.call(rbind, lapply(2:12, function(n) {
  contrasts <- contr.poly(n)
  data.frame(levels = n, row = rep(seq_len(n), ncol(contrasts)),
             column = rep(colnames(contrasts), each = n), value = as.vector(contrasts))
}))
write.csv(records, file.path(here, "contr_poly.csv"), row.names = FALSE)
