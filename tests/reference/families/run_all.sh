#!/usr/bin/env bash
# Regenerate the datasets and all brms reference fits in this directory, one fit at a time.
# usage: bash run_all.sh [name ...]   (no names: all of them)
set -euo pipefail
cd "$(dirname "$0")"
python3 simulate.py
fit() {  # name data formula family [factor columns] [distributional formulas] [newdata]
  local name=$1; shift
  if [ ${#SELECTED[@]} -gt 0 ] && [[ ! " ${SELECTED[*]} " == *" $name "* ]]; then return; fi
  local data="data/$1.csv"
  [[ $1 == brms:* ]] && data=$1  # a dataset shipped with brms
  Rscript make_reference.R "$data" "$2" "$3" "$name.json" "${4:-g}" "${5:-}" "${6:-}"
}
SELECTED=("$@")
fit bernoulli_logit  bernoulli        "y ~ x + (1 | g)"                            "bernoulli(link='logit')"
fit bernoulli_probit bernoulli        "y ~ x + (1 | g)"                            "bernoulli(link='probit')"
fit binomial_trials  binomial         "k | trials(n) ~ x + (1 | g)"                "binomial()"
fit poisson          poisson          "count ~ x + (1 | g)"                        "poisson()"
fit poisson_offset   poisson_offset   "count ~ x + offset(log(exposure)) + (1 | g)" "poisson()"
fit negbinomial      negbinomial      "count ~ x + (1 | g)"                        "negbinomial()"
fit student          student          "y ~ x + (1 | g)"                            "student()"
fit gamma_log        gamma            "y ~ x + (1 | g)"                            "Gamma(link='log')"
fit gamma_inverse    gamma            "y ~ x + (1 | g)"                            "Gamma()"
fit lognormal        lognormal        "y ~ x + (1 | g)"                            "lognormal()"
fit beta             beta             "y ~ x + (1 | g)"                            "Beta()"
fit gaussian_weights gaussian_weights "y | weights(w) ~ x + (1 | g)"               "gaussian()"
fit meta_se          meta             "yi | se(sei) ~ x + (1 | g)"                 "gaussian()"
fit meta_se_sigma    meta             "yi | se(sei, sigma = TRUE) ~ x + (1 | g)"   "gaussian()"
fit censored_gaussian censored_gaussian "y | cens(censored, y2) ~ x + (1 | g)"  "gaussian()"
fit censored_lognormal censored_gaussian "y | cens(censored, y2) ~ x + (1 | g)"  "lognormal()"
fit survival_weibull survival "time | cens(censored) ~ x + (1 | g)" "weibull()"
fit survival_exponential survival "time | cens(censored) ~ x + (1 | g)" "exponential()"
fit kidney_lognormal brms:kidney "time | cens(censored) ~ age + sex + disease + (1 | patient)" "lognormal()" "patient"
fit epilepsy brms:epilepsy "count ~ zAge + zBase * Trt + (1 | patient)" "poisson()" "patient"
fit kidney_weibull brms:kidney "time | cens(censored) ~ age + sex + disease + (1 | patient)" "weibull()" "patient"
fit gaussian_slopes  gaussian_slopes  "y ~ x1 + x2 + (1 + x1 | g) + (1 | h)"       "gaussian()" "g,h"
fit zero_inflated_poisson zero_inflated_poisson "count ~ x + (1 + x | g)"      "zero_inflated_poisson()"
fit zero_inflated_negbinomial zero_inflated_negbinomial "count ~ x + (1 + x | g)" "zero_inflated_negbinomial()"
fit zero_inflated_binomial zero_inflated_binomial "k | trials(n) ~ x + (1 + x | g)" "zero_inflated_binomial()"
fit hurdle_poisson   hurdle_poisson   "count ~ x + (1 + x | g)"                    "hurdle_poisson()" "g" "hu=~ x"
fit hurdle_negbinomial hurdle_negbinomial "count ~ x + (1 + x | g)"                "hurdle_negbinomial()"
fit hurdle_lognormal hurdle_lognormal "y ~ x + (1 + x | g)"                        "hurdle_lognormal()"
fit sleep_sigma_group sleepstudy      "Reaction ~ Days + (Days | Subject)"         "gaussian()" "Subject" "sigma=~ Days + (1 | Subject)"
fit cumulative       cumulative       "rating ~ x + (1 + x | g)"                   "cumulative()" "g" "" "data/cumulative_newdata.csv"
fit inhaler_probit   inhaler          "rating ~ treat + period + carry + (1 | subject)" "cumulative(link='probit')" "subject"
fit growth_ar        growth_ar        "y ~ time + (1 + time | id) + ar(time = time, gr = id)" "gaussian()" "id"
fit growth_gaps_ar2  growth_gaps      "y ~ time + (1 | id) + ar(time = time, gr = id, p = 2)" "gaussian()" "id"
fit sleep_arma       sleepstudy       "Reaction ~ Days + (1 | Subject) + arma(time = Days, gr = Subject)" "gaussian()" "Subject"
fit sleep_ma_student sleepstudy       "Reaction ~ Days + (1 | Subject) + ma(time = Days, gr = Subject)" "student()" "Subject"
fit sleep_cosy       sleepstudy       "Reaction ~ Days + cosy(time = Days, gr = Subject)" "gaussian()" "Subject"
fit sleep_smooth     sleepstudy       "Reaction ~ s(Days) + (1 | Subject)"         "gaussian()" "Subject"
fit smooth           smooth           "y ~ s(x) + (1 | g)"                         "gaussian()"
fit sleep_sigma_id   sleepstudy       "Reaction ~ Days + (Days | p | Subject)"     "gaussian()" "Subject" "sigma=~ Days + (1 | p | Subject)"
fit sleep_explicit_intercept sleepstudy "Reaction ~ 0 + Intercept + Days + (Days | Subject)" "gaussian()" "Subject" "sigma=~ 0 + Intercept + Days"
fit sleep_skew_normal sleepstudy "Reaction ~ Days + (Days | Subject)" "skew_normal()" "Subject"
fit sleep_exgaussian sleepstudy "Reaction ~ Days + (Days | Subject)" "exgaussian()" "Subject"
fit categorical      categorical      "choice ~ x + (1 + x | g)"                   "categorical()" "g" "" "data/categorical_newdata.csv"
fit growth_waves     growth_waves     "y ~ time + (1 + time | id)"                 "gaussian()" "id" "sigma=~ 0 + factor(time)"
