# brms's loo_R2() (and bayes_R2() beside it) of two models, written as JSON next to this
# script: brms's default fit (4 chains x 2000 iterations, seed 1234) of each, then loo_R2 with
# the Bayesian bootstrap's random draws seeded too.
# usage: Rscript make_loo_r2.R   (writes loo_r2.json; the data are the package's, src/multilevel/data)
suppressMessages({library(brms); library(jsonlite)})
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
datasets <- file.path(here, "..", "..", "..", "src", "multilevel", "data")
models <- list(
  list(id = "sleepstudy", data = "sleepstudy.csv", formula = "Reaction ~ Days + (Days | Subject)",
       family = "gaussian", factors = "Subject"),
  list(id = "rats", data = "rats.csv", formula = "m | trials(n) ~ 1 + (1 | batch)",
       family = "binomial", factors = "batch")
)
out <- list()
for (m in models) {
  d <- read.csv(file.path(datasets, m$data))
  for (col in strsplit(m$factors, ",")[[1]]) d[[col]] <- factor(d[[col]])
  fit <- brm(as.formula(m$formula), data = d, family = m$family, seed = 1234, refresh = 0,
             cores = 2, chains = 4, iter = 2000)
  set.seed(1234)
  loo <- loo_R2(fit)
  bayes <- bayes_R2(fit)
  out[[m$id]] <- list(formula = m$formula, family = m$family, data = m$data,
                      brms_version = as.character(packageVersion("brms")),
                      loo_R2 = as.list(loo[1, ]), bayes_R2 = as.list(bayes[1, ]))
}
write(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), file.path(here, "loo_r2.json"))
cat("wrote loo_r2.json\n")
