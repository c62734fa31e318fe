# Reference matrices for s(x, by = ...) in multilevel.spec.smooth: what brms 2.18 (mgcv 1.8-41)
# passes to Stan for a thin plate spline per level of a factor, and for a numeric `by`
# (a varying coefficient).
#
# Run from anywhere:  Rscript tests/reference/smooth/check_tprs_by.R
# Writes, next to this script, one CSV per case (<case>.csv for the fitting data, <case>_new.csv
# for new data through brms::standata(fit, newdata = )) with the columns x, f, z, then brms's
# Xs columns (Xs_1, ...) and each smooth's Zs matrix (Zs_<smooth>_<column>).
# The data are inputs_continuous.csv (see check_tprs.R) with a factor f cycling through
# "a", "b", "c" and a numeric z = 1 + x %% 1.3 (so that z is not constant).
suppressPackageStartupMessages({
  library(brms)
  library(mgcv)
})
stopifnot(packageVersion("brms") == "2.18.0")

here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE),
                                                         value = TRUE))))
cont <- read.csv(file.path(here, "inputs_continuous.csv"))
n <- nrow(cont)
data <- data.frame(y = cont$y, x = cont$x, f = factor(rep(c("a", "b", "c"), length.out = n)),
                   z = 1 + cont$x %% 1.3)
new <- data.frame(y = 0, x = seq(-0.5, 10.5, length.out = 30),
                  f = factor(rep(c("c", "a", "b"), 10), levels = c("a", "b", "c")),
                  z = seq(0.5, 2.5, length.out = 30))

write_case <- function(frame, sdata, file) {
  m <- cbind(x = frame$x, f = as.character(frame$f), z = frame$z)
  xs <- sdata$Xs
  colnames(xs) <- paste0("Xs_", seq_len(ncol(xs)))
  m <- cbind(m, apply(xs, 2, function(col) sprintf("%.17g", col)))
  for (j in seq_len(sum(grepl("^Zs_", names(sdata))))) {
    zs <- sdata[[sprintf("Zs_%d_1", j)]]
    colnames(zs) <- sprintf("Zs_%d_%d", j, seq_len(ncol(zs)))
    m <- cbind(m, apply(zs, 2, function(col) sprintf("%.17g", col)))
  }
  write.table(m, file.path(here, file), sep = ",", quote = FALSE, row.names = FALSE)
}

cases <- list(
  list(name = "by_factor_k10", term = "s(x, by = f)"),
  list(name = "by_factor_k5", term = "s(x, by = f, k = 5)"),
  list(name = "by_factor_k3", term = "s(x, by = f, k = 3)"),
  list(name = "by_numeric_k10", term = "s(x, by = z)"),
  list(name = "by_numeric_k5", term = "s(x, by = z, k = 5)"),
  list(name = "by_numeric_k3", term = "s(x, by = z, k = 3)")
)
for (case in cases) {
  f <- as.formula(paste("y ~", case$term))
  sdata <- make_standata(f, data = data)
  write_case(data, sdata, paste0(case$name, ".csv"))
  fit <- brm(f, data = data, empty = TRUE)
  write_case(new, standata(fit, newdata = new), paste0(case$name, "_new.csv"))
  cat(case$name, ": Xs", colnames(sdata$Xs), "\n")
}
