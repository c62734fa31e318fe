# brms 2.18's prior tables (fit$prior of an empty fit: no compilation) with a vector of
# Dirichlet concentrations on a monotonic effect's simplex (brms's monotonic vignette) and on
# a mixture's proportions, and Stan's data of those concentrations. Writes
# dirichlet_vectors.json next to this script.
# usage: Rscript make_dirichlet_vectors.R
suppressMessages({library(brms); library(jsonlite)})
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
data_dir <- file.path(here, "..", "families", "data")
cases <- list(
  list(id = "monotonic", data = "monotonic", formula = "ls ~ mo(income)",
       family = "gaussian()",
       prior = "prior(dirichlet(c(1, 0.5, 0.5)), class = simo, coef = moincome1)",
       concentrations = "con_simo_1"),
  list(id = "mixture", data = "mixture", formula = "y ~ x",
       family = "mixture(gaussian, gaussian)",
       prior = "prior(dirichlet(c(2, 1)), class = theta)", concentrations = "con_theta")
)
out <- lapply(cases, function(case) {
  d <- read.csv(file.path(data_dir, paste0(case$data, ".csv")))
  args <- list(as.formula(case$formula), data = d, family = eval(parse(text = case$family)),
               prior = eval(parse(text = case$prior)))
  fit <- suppressMessages(do.call(brm, c(args, list(empty = TRUE))))
  sdata <- suppressMessages(do.call(make_standata, args))
  c(case, list(prior_table = as.data.frame(fit$prior),
               concentration_values = as.numeric(sdata[[case$concentrations]])))
})
write(toJSON(list(brms_version = as.character(packageVersion("brms")), cases = out),
             auto_unbox = TRUE, digits = NA, pretty = TRUE),
      file.path(here, "dirichlet_vectors.json"))
cat("wrote dirichlet_vectors.json\n")
