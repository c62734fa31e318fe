# R's bs() and ns() (splines package) on the rows of splines_x.csv and on new values inside
# and beyond the boundary knots, as brms's model matrices and predictions evaluate them:
# one row per entry, written to splines.csv beside this script.
# usage: Rscript check_splines.R
suppressMessages(library(splines))
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grepl("^--file=", args)])))
x <- read.csv(file.path(here, "splines_x.csv"))$x
new <- c(-1.5, 0.2, 3.3, 7.75, 9.9, 12)
cases <- list(
  "ns(x, df = 1)" = function(v) ns(v, df = 1),
  "ns(x, df = 3)" = function(v) ns(v, df = 3),
  "ns(x, df = 5)" = function(v) ns(v, df = 5),
  "ns(x, knots = c(2.5, 6))" = function(v) ns(v, knots = c(2.5, 6)),
  "ns(x, df = 4, intercept = TRUE)" = function(v) ns(v, df = 4, intercept = TRUE),
  "bs(x, df = 3)" = function(v) bs(v, df = 3),
  "bs(x, df = 6)" = function(v) bs(v, df = 6),
  "bs(x, df = 4, degree = 2)" = function(v) bs(v, df = 4, degree = 2),
  "bs(x, knots = c(2.5, 6))" = function(v) bs(v, knots = c(2.5, 6)),
  "bs(x, df = 5, intercept = TRUE)" = function(v) bs(v, df = 5, intercept = TRUE),
  "ns(x, df = 3, Boundary.knots = c(0, 9))" = function(v) ns(v, df = 3, Boundary.knots = c(0, 9)),
  "bs(x, knots = 5, Boundary.knots = c(1, 10))" =
    function(v) bs(v, knots = 5, Boundary.knots = c(1, 10))
)
records <- do.call(rbind, lapply(names(cases), function(case) {
  fitted <- suppressWarnings(cases[[case]](x))
  predicted <- suppressWarnings(predict(fitted, new))
  rbind(
    data.frame(case = case, rows = "fit", row = rep(seq_len(nrow(fitted)), ncol(fitted)),
               column = rep(seq_len(ncol(fitted)), each = nrow(fitted)),
               value = as.vector(fitted)),
    data.frame(case = case, rows = "new", row = rep(seq_along(new), ncol(predicted)),
               column = rep(seq_len(ncol(predicted)), each = length(new)),
               value = as.vector(predicted)))
}))
write.csv(records, file.path(here, "splines.csv"), row.names = FALSE)
