# brms 2.18's default prior tables of mixture models, for tests/test_mixture.py: each case's
# get_prior() on a dataset of ../families/data, written to priors.json.
# usage: Rscript make_priors.R   (from anywhere)
suppressMessages({library(brms); library(jsonlite)})
here <- dirname(normalizePath(sub("--file=", "", grep("--file=", commandArgs(), value = TRUE))))
data_dir <- file.path(here, "..", "families", "data")
cases <- list(
  list(id = "grouped", data = "mixture", formula = "y ~ x + (1 | g)",
       family = "mixture(gaussian, gaussian)"),
  list(id = "correlated", data = "mixture", formula = "y ~ x + (1 + x | g)",
       family = "mixture(gaussian, gaussian, gaussian)"),
  list(id = "student", data = "mixture", formula = "y ~ x", family = "mixture(gaussian, student)",
       dpars = list(sigma2 = "~ x")),
  list(id = "positive", data = "gamma", formula = "y ~ x + (1 | g)",
       family = "mixture(lognormal, Gamma(link = 'log'))"),
  list(id = "counts", data = "mixture_poisson", formula = "count ~ x",
       family = "mixture(poisson, negbinomial)"),
  list(id = "offset", data = "poisson_offset", formula = "count ~ x + offset(log(exposure))",
       family = "mixture(poisson, poisson)"),
  list(id = "held", data = "mixture", formula = "y ~ x", family = "mixture(gaussian, gaussian)",
       dpars = list(theta1 = "0.6", theta2 = "0.4")),
  list(id = "mixed_scale", data = "gamma", formula = "y ~ x",
       family = "mixture(gaussian, lognormal)"),
  list(id = "predicted", data = "mixture_theta", formula = "y ~ x",
       family = "mixture(gaussian, gaussian, gaussian)", dpars = list(theta3 = "~ z"))
)
out <- lapply(cases, function(case) {
  d <- read.csv(file.path(data_dir, paste0(case$data, ".csv")))
  if ("g" %in% names(d)) d$g <- factor(d$g)
  # a formula predicts its parameter, a number holds it
  given <- if (is.null(case$dpars)) list() else case$dpars
  predicted <- Filter(function(v) startsWith(v, "~"), given)
  held <- lapply(Filter(function(v) !startsWith(v, "~"), given), as.numeric)
  dpars <- lapply(names(predicted), function(k) as.formula(paste(k, predicted[[k]])))
  form <- do.call(bf, c(list(as.formula(case$formula)), dpars, held))
  fam <- suppressMessages(eval(parse(text = case$family)))
  c(case, list(prior = as.data.frame(get_prior(form, data = d, family = fam)),
               order = fam$order))
})
write(toJSON(out, auto_unbox = TRUE, digits = 8, pretty = TRUE), file.path(here, "priors.json"))
