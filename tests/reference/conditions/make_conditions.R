# brms 2.18's make_conditions() on the shipped epilepsy data: a numeric variable, a factor and
# both in either order; written as one CSV with the call's variables in `vars`.
# usage: Rscript make_conditions.R  (writes make_conditions.csv beside it)
suppressMessages(library(brms))
d <- epilepsy
out <- do.call(rbind, lapply(list("zAge", "Trt", c("zBase", "Trt"), c("Trt", "zAge")),
  function(vars) {
    conditions <- make_conditions(d, vars)
    data.frame(vars = paste(vars, collapse = ","), row = seq_len(nrow(conditions)),
               zAge = if ("zAge" %in% vars) conditions$zAge else NA,
               zBase = if ("zBase" %in% vars) conditions$zBase else NA,
               Trt = if ("Trt" %in% vars) as.character(conditions$Trt) else NA,
               cond__ = conditions$cond__)
  }))
write.csv(out, "make_conditions.csv", row.names = FALSE)
