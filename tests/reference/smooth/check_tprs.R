# Reference matrices for multilevel.spec.smooth: what brms 2.18 (mgcv 1.8-41) passes to Stan
# for s(x), the default thin plate regression spline (bs = "tp", m = 2).
#
# Run from anywhere:  Rscript tests/reference/smooth/check_tprs.R
# Writes, next to this script, one CSV per case with the covariate and brms's matrices:
#   <case>.csv      columns x, Xs_1, Zs_1 ... Zs_q   (brms::make_standata(y ~ s(x, k)))
#   <case>_new.csv  the same for new data            (brms::standata(fit, newdata = ...))
# Numbers are printed with 17 significant digits so that the comparison is exact to round-off.
# inputs_continuous.csv (x ~ U(0, 10), n = 300) was drawn once with numpy:
#   rng = np.random.default_rng(20240501); x = rng.uniform(0, 10, 300)
#   y = np.sin(x) + rng.normal(0, 0.3, 300)
suppressPackageStartupMessages({
  library(brms)
  library(mgcv)
})
stopifnot(packageVersion("brms") == "2.18.0")

here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE),
                                                         value = TRUE))))
repo <- normalizePath(file.path(here, "..", "..", ".."))
sleep <- read.csv(file.path(repo, "src", "multilevel", "data", "sleepstudy.csv"))
cont <- read.csv(file.path(here, "inputs_continuous.csv"))
sleep_data <- data.frame(y = sleep$Reaction, x = as.numeric(sleep$Days))
cont_data <- data.frame(y = cont$y, x = cont$x)
sleep_new <- data.frame(y = 0, x = c(seq(-1, 10, by = 0.25), 4.5))
cont_new <- data.frame(y = 0, x = c(seq(-0.5, 10.5, length.out = 45), cont$x[1:5]))

write_case <- function(x, sdata, file) {
  m <- cbind(x = x, Xs_1 = sdata$Xs[, 1], sdata$Zs_1_1)
  colnames(m) <- c("x", "Xs_1", paste0("Zs_", seq_len(ncol(sdata$Zs_1_1))))
  txt <- apply(m, 2, function(col) sprintf("%.17g", col))
  write.table(txt, file.path(here, file), sep = ",", quote = FALSE, row.names = FALSE)
}

# brms's own path for new data (s2rPred) rebuilt from mgcv, to confirm what it does:
# PredictMat() on the smooth stored by smoothCon(), then smooth2random()'s U and D.
mgcv_new <- function(formula_k, data, newdata) {
  sm <- smoothCon(formula_k, data = data, knots = NULL, absorb.cons = TRUE, modCon = 3,
                  diagonal.penalty = TRUE)[[1]]
  re <- smooth2random(sm, names(data), type = 2)
  X <- PredictMat(sm, newdata) %*% re$trans.U
  X <- t(t(X) * re$trans.D)
  list(Xs = X[, re$pen.ind == 0, drop = FALSE], Zs_1_1 = X[, re$pen.ind == 1, drop = FALSE])
}

cases <- list(
  list(name = "sleep_k10", data = sleep_data, new = sleep_new, k = 10),
  list(name = "sleep_k5", data = sleep_data, new = sleep_new, k = 5),
  list(name = "sleep_k3", data = sleep_data, new = sleep_new, k = 3),
  list(name = "cont_k10", data = cont_data, new = cont_new, k = 10),
  list(name = "cont_k5", data = cont_data, new = cont_new, k = 5),
  list(name = "cont_k20", data = cont_data, new = cont_new, k = 20)
)
# the variable's name plays no part: the sleepstudy case is brms's Reaction ~ s(Days) itself
days <- make_standata(Reaction ~ s(Days), data = sleep)
sleep10 <- make_standata(y ~ s(x, k = 10), data = sleep_data)
stopifnot(max(abs(days$Xs - sleep10$Xs)) == 0, max(abs(days$Zs_1_1 - sleep10$Zs_1_1)) == 0)

for (case in cases) {
  f <- as.formula(sprintf("y ~ s(x, k = %d)", case$k))
  sdata <- make_standata(f, data = case$data)
  # smooth2random() directly, to confirm that brms's Xs and Zs_1_1 are exactly its output
  sm <- smoothCon(eval(parse(text = sprintf("s(x, k = %d)", case$k))), data = case$data,
                  absorb.cons = TRUE, diagonal.penalty = TRUE)[[1]]
  re <- smooth2random(sm, names(case$data), type = 2)
  stopifnot(max(abs(sdata$Xs - re$Xf)) == 0, max(abs(sdata$Zs_1_1 - re$rand[[1]])) == 0)
  write_case(case$data$x, sdata, paste0(case$name, ".csv"))

  # new data the way brms does it: a brmsfit without sampling, then standata(newdata = )
  fit <- brm(f, data = case$data, empty = TRUE)
  new_sdata <- standata(fit, newdata = case$new)
  direct <- mgcv_new(eval(parse(text = sprintf("s(x, k = %d)", case$k))), case$data, case$new)
  cat(sprintf("%-10s n = %3d, Zs %d cols; new data: brms vs PredictMat+smooth2random %.3g\n",
              case$name, nrow(case$data), ncol(sdata$Zs_1_1),
              max(abs(new_sdata$Xs - direct$Xs), abs(new_sdata$Zs_1_1 - direct$Zs_1_1))))
  write_case(case$new$x, new_sdata, paste0(case$name, "_new.csv"))
}
writeLines(c(R.version.string, paste("brms", packageVersion("brms")),
             paste("mgcv", packageVersion("mgcv")), paste("LAPACK", La_version()),
             La_library()), file.path(here, "versions.txt"))
