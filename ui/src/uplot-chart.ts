/** uPlot and its stylesheet, loaded only by the pages that draw charts. */
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'

export default uPlot
