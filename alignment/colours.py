"""One colour per power and per kind of interaction, in every figure and in the classroom page (nothing imported
here: the page loads this without seaborn or SciPy)."""

# colour-blind-safe tab10 hues
POWER_COLOURS = {"RUS": "#d62728", "CHN": "#ff7f0e", "USA": "#1f77b4", "EU": "#17becf", "GBR": "#9467bd", "TUR": "#2ca02c",
                 "IRN": "#8c564b", "JPN": "#e377c2", "KOR": "#7f7f7f", "IND": "#bcbd22"}
KIND_COLOURS = {"telegram": "#4c72b0", "call": "#dd8452", "visit": "#55a868", "meeting": "#c44e52", "summit": "#8172b3"}
